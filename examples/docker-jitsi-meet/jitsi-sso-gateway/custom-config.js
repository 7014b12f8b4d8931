// Appended to Jitsi's config.js by the web container. TOKEN_AUTH_URL (.env) sets tokenAuthUrl;
// these two have no .env variable.
config.tokenAuthUrlAutoRedirect = true;
config.tokenLogoutUrl = 'https://meet.example.com/sso/logout';
