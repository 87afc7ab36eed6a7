/**
 * Public API of the registry client (docs/ARCHITECTURE.md). Everything network-facing in the project that talks
 * to a container registry goes through here; undici is imported only under src/registry.
 */
export { type Challenge, parseWwwAuthenticate } from "./challenge.js";
export { type InspectOptions, RegistryClient, type RegistryOptions } from "./client.js";
export {
  type Credential,
  CredentialError,
  CredentialStore,
  canonicalHost,
  credentialsFromDockerConfig,
  credentialsFromSecret,
  loadDockerConfig,
  parseCredentialKey,
} from "./credentials.js";
export { RegistryError } from "./errors.js";
export { MANIFEST_ACCEPT, parseConfig, parseManifest } from "./manifest.js";
export { REDACTED, Redactor, redactPatterns, safeUrl } from "./redact.js";
