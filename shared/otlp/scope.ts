/**
 * The instrumentation scope of every record: the package's own name and version.
 */

import packageJson from '../../package.json' with { type: 'json' };
import type { Scope } from './model.ts';

export const SCOPE: Scope = { name: 'elb-otlp', version: packageJson.version };
