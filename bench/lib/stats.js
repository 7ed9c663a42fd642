'use strict';
/** Small statistics for repeated measurements. */

/** The median of a non-empty list of numbers (the mean of the middle two for an even count). */
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * A case's measured runs summed up: the medians of wall and CPU seconds and of peak RSS MiB, and
 * each run's three figures as results.json keeps them (without the output tails).
 */
function summarize(runs) {
  return {
    wall: median(runs.map((m) => m.wallSeconds)),
    cpu: median(runs.map((m) => m.cpuSeconds)),
    rss: median(runs.map((m) => m.peakRssMiB)),
    runs: runs.map((m) => ({ wallSeconds: m.wallSeconds, cpuSeconds: m.cpuSeconds, peakRssMiB: m.peakRssMiB })),
  };
}

module.exports = { median, summarize };
