/*
 * Imported first by the bin. The AWS SDK prints an 8-line NodeVersionSupportWarning on every Node below 22 the
 * first time a client is made; the CLI is built and tested on Node 20, so it says nothing an operator can act on.
 * The SDK reads this variable when it would warn (@aws-sdk/core emitWarningIfUnsupportedVersion); a user who
 * sets it to anything but "true" still sees the warning.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * `pool-autoscaler ... | head -1`: once the reader is gone, a write fails with EPIPE. The output was wanted up to
 * there, so the command ends quietly instead of printing a stack trace.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

export {};
