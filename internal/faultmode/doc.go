// Package faultmode is the scoped, seeded fault machinery shared by the
// servers that misbehave on command: mockllm and stubs.
//
// A server describes its own fault parameters as a struct P and validates
// them; faultmode keeps the active faults, decides for each request whether
// one applies (target, probability, count, duration), counts the requests
// each fault affected (evidence, kept after the fault is removed), and
// serves the JSON control API under /_drill/ on loopback only.
//
// Probabilities are rolled per request with a generator seeded from the
// server's seed and the fault's ID, so a run with the same seed and the
// same request order makes the same choices.
//
// It also declares, once, the range of every numeric parameter of the
// mocks' fault modes (ProbabilityRange, BillingFactorRange, DelayRange...):
// the mocks' validators check them, and the fault catalog (package faults)
// gives them to its parameters, so that a feature file, `drill inject` and
// the control API accept the same values. The control API holds at most
// MaxFaults faults and evidence for MaxEvidence IDs, and takes bodies of
// at most MaxControlBody bytes.
package faultmode
