export { ConfigError } from './config-error.ts';
export { loadMappingConfig, type MappingConfig } from './mapping-config.ts';
export { parseResourceAttributes } from './resource-attributes.ts';
