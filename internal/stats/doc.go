// Package stats holds the small statistics drill's reports need, written
// for the sample sizes drills produce (a handful to a few hundred runs):
//
//   - two-sample tests: Fisher's exact test for two proportions and the
//     Mann-Whitney U (Wilcoxon rank-sum) test for two samples of numbers,
//     exact (with ties) up to ExactLimit observations and by the normal
//     approximation with tie and continuity corrections above;
//   - multiple comparisons: Holm's step-down adjustment, and Tarone's
//     screen that leaves out discrete tests whose data cannot reach
//     significance at all, so they do not dilute the others;
//   - intervals: Wilson's score interval for a proportion and the
//     distribution-free (order-statistic) interval for a median or any
//     quantile;
//   - power: the sample size per group a two-proportion comparison or a
//     rank test needs to detect a given difference.
//
// Every test is two-sided. Functions that take counts or samples return an
// error for input they cannot answer for (negative counts, empty samples,
// NaN), never a panic and never a made-up value.
package stats
