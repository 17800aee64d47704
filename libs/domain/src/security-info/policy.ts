/** The rules in force for codes: set by configuration, carried by every command that needs them. */
export interface SecurityInfoPolicy {
  /** How long a code stays usable. */
  codeTtlSeconds: number;
  /** Minimum wait between two codes for one method. */
  resendCooldownSeconds: number;
  /** Wrong entries of one code before it locks. */
  maxVerifyAttempts: number;
  /** Codes one method may get in any rolling hour (the first one included). */
  maxCodesPerHour: number;
  /** Codes one account may get in any rolling hour, over all its methods, deleted ones included. */
  maxCodesPerAccountPerHour: number;
  /**
   * Hours a method may stay pending verification: once `addedAt` + this is past, it has lapsed (the page no
   * longer shows it, its slot is free, and the next command that records something records the lapse).
   */
  pendingMethodTtlHours: number;
}

/** Checks a code a person typed against the code derived for `codeId` (see VerificationCodes). */
export interface CodeCheck {
  matches(codeId: string, code: string): boolean;
}
