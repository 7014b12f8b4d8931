// oidc-provider ships no type declarations; the tests use it as a real OpenID provider only.
declare module 'oidc-provider';
