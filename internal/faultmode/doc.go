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
package faultmode
