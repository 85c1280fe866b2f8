// Package incident is a GraphQL incident service for tests and
// demos: it serves a schema given as SDL, validates every operation and
// its variables with gqlparser as a real GraphQL server would, answers
// with placeholder values shaped by the selection set, records what it
// received (headers, idempotency key, variables, the errors it answered)
// and can fail the next N requests with a 5xx to exercise retries. A
// request that repeats a successful idempotency key gets the first answer
// again, marked as a replay.
package incident
