/**
 * Preloaded with `node --import` into a benchmarked process: reports the
 * process's peak resident set size, and the CPU time of all its threads, on
 * stderr as it exits. CPU time moves far less than wall time when other work
 * shares the machine, so it shows what a change did when the rates are noisy.
 */

process.on('exit', () => {
  const usage = process.resourceUsage();
  const cpuMs = Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000);
  process.stderr.write(`\nmax-rss-kib=${usage.maxRSS} cpu-ms=${cpuMs}\n`);
});
