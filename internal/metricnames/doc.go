// Package metricnames tells the names of the series a set of Prometheus
// collectors exposes, without serving or scraping them: the name of each
// counter and gauge, and the _bucket, _sum and _count series of a
// histogram (a summary's quantiles, _sum and _count). Each drill part
// that exports metrics (traffic, gateway, mockllm, stubs) lists its own
// with it, so a feature file's PromQL condition can be checked against
// them before any world starts.
package metricnames
