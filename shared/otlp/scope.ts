/**
 * The instrumentation scope every record is sent under: this package, by name
 * and version, so a backend can tell which elb-otlp release produced a record.
 */

import packageJson from '../../package.json' with { type: 'json' };

export interface InstrumentationScope {
  name: string;
  version: string;
}

export const SCOPE: InstrumentationScope = { name: 'elb-otlp', version: packageJson.version };
