/**
 * A setting is missing or malformed. The message names the setting and what
 * was wrong with it; it never repeats a secret's value.
 */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  readonly setting: string;
  /** The message without the setting's name in front. */
  readonly detail: string;

  constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.setting = setting;
    this.detail = message;
  }
}

/**
 * The export settings are wrong: a malformed variable, or an answer that
 * means the endpoint, credentials or protocol are (401, 403, 404, 405, 415).
 */
export class ExportConfigError extends ConfigError {
  override readonly name: string = 'ExportConfigError';
}
