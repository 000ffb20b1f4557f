/** The user's mistake (a bad argument, a manifest for another lab...): reported as bad usage, exit 2. */
export class UsageError extends Error {}
