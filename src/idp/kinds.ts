/**
 * The provider kinds this build ships, registered lazily with the provider registry. Each kind's
 * module exports a ProviderFactory as `createProvider`.
 */
export {};
