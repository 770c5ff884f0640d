/**
 * Preloaded with `node --import` into a benchmarked process: reports the
 * process's peak resident set size on stderr as it exits.
 */

process.on('exit', () => {
  process.stderr.write(`\nmax-rss-kib=${process.resourceUsage().maxRSS}\n`);
});
