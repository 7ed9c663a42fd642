'use strict';
/**
 * Preloaded (`node --require`) into every bundle the tests run. It only watches: on an uncaught
 * exception or an unhandled rejection, which end the process with a stack trace instead of the
 * run's error message, it writes one marker line to stderr before Node goes on as it would
 * anyway. The bundle helper fails the test on that line, whatever the test itself checks.
 */
const CRASH_MARKER = '[crash-monitor]';

process.on('uncaughtExceptionMonitor', (error, origin) => {
  const text = error instanceof Error ? error.stack || error.message : String(error);
  process.stderr.write(`\n${CRASH_MARKER} ${origin}: ${text}\n`);
});
