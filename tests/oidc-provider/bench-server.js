// The certified provider (panva/oidc-provider) set up as the load benchmark's peer:
// in memory, PKCE required, one confidential client with client_secret_basic whose ID
// tokens are ES256, and one account. The benchmark logs that account in once through the
// login form and then measures handoffs of a shopper already logged in.
//
// Configuration (environment):
//   PORT           port on 127.0.0.1 (required; the issuer is http://127.0.0.1:PORT)
//   REDIRECT_URI   the client's redirect URI, registered exactly
//   CLIENT_ID      the client id
//   CLIENT_SECRET  its secret (client_secret_basic)
//
// One account: ada@example.com / correct horse. Consent is given automatically, as a
// store's own provider does for its own checkout.
//
// Prints {"issuer": "..."} on stdout once it accepts requests.

import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

import { serve } from './interactions.js';

const port = Number(process.env.PORT);
const redirectUri = process.env.REDIRECT_URI;
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
if (!port || !redirectUri || !clientId || !clientSecret) {
  console.error('PORT, REDIRECT_URI, CLIENT_ID and CLIENT_SECRET are required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNT = {
  id: 'ada-0001',
  email: 'ada@example.com',
  password: 'correct horse',
  claims: { email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' },
};

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  async findAccount(ctx, sub) {
    if (sub !== ACCOUNT.id) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...ACCOUNT.claims }) };
  },
});

serve(provider, ACCOUNT, port, issuer);
