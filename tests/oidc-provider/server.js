// A certified OpenID provider (panva/oidc-provider) for the relying-party tests: the
// checkout must log shoppers in through any standard provider a store runs, not only ours.
//
// Configuration (environment):
//   PORT           port on 127.0.0.1 (required; the issuer is http://127.0.0.1:PORT)
//   REDIRECT_URI   the checkout's redirect URI, registered exactly
//   CLIENT_ID      the checkout's client id here
//   CLIENT_SECRET  its secret (client_secret_basic)
//   BACKCHANNEL_LOGOUT_URI    the checkout's back-channel logout endpoint (optional)
//   POST_LOGOUT_REDIRECT_URI  where the checkout's logout lands (optional)
//   ID_TOKEN_ALG   the one algorithm ID tokens and logout tokens are signed with: RS256
//                  (default), PS256, ES256 or EdDSA (Ed25519); the signing key is made to fit
//
// One account: ada@example.com / correct horse, with email, profile, phone and address
// claims. The login page is a plain form; consent is given automatically (a store's own
// provider would not ask its customers to consent to its own checkout).
//
// Pushed Authorization Requests (RFC 9126) at /request, as discovery says.
//
// Logout: RP-Initiated Logout at /session/end and Back-Channel Logout to the checkout, with
// `sid` in ID tokens and logout tokens. Back-channel calls resolve *.localhost to loopback
// (as browsers and the checkout do) and skip oidc-provider's guard against loopback
// addresses, which exists for internet deployments; everything here is on 127.0.0.1.
//
// Prints {"issuer": "..."} on stdout once it accepts requests.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';

import Provider from 'oidc-provider';

import { serve } from './interactions.js';

const port = Number(process.env.PORT);
const redirectUri = process.env.REDIRECT_URI;
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
const backchannelLogoutUri = process.env.BACKCHANNEL_LOGOUT_URI;
const postLogoutRedirectUri = process.env.POST_LOGOUT_REDIRECT_URI;
const idTokenAlg = process.env.ID_TOKEN_ALG || 'RS256';
if (!port || !redirectUri || !clientId || !clientSecret) {
  console.error('PORT, REDIRECT_URI, CLIENT_ID and CLIENT_SECRET are required');
  process.exit(2);
}
// The key type each algorithm signs with (RFC 7518 §3, RFC 8037 §3.1).
const KEY_TYPES = {
  RS256: ['rsa', { modulusLength: 2048 }],
  PS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
  EdDSA: ['ed25519', {}],
};
if (!KEY_TYPES[idTokenAlg]) {
  console.error(`ID_TOKEN_ALG must be one of ${Object.keys(KEY_TYPES).join(', ')}`);
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNT = {
  id: 'ada-0001',
  email: 'ada@example.com',
  password: 'correct horse',
  claims: {
    email: 'ada@example.com',
    email_verified: true,
    name: 'Ada Lovelace',
    phone_number: '+44 20 7946 0000',
    phone_number_verified: false,
    address: {
      street_address: '12 St James Square',
      locality: 'London',
      postal_code: 'SW1Y 4JH',
      country: 'GB',
    },
  },
};

const { privateKey } = generateKeyPairSync(...KEY_TYPES[idTokenAlg]);
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: `test-${idTokenAlg.toLowerCase()}`,
  alg: idTokenAlg,
  use: 'sig',
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    // Logout tokens are signed with this too.
    id_token_signed_response_alg: idTokenAlg,
    ...(backchannelLogoutUri ? {
      backchannel_logout_uri: backchannelLogoutUri,
      backchannel_logout_session_required: true,
    } : {}),
    ...(postLogoutRedirectUri ? { post_logout_redirect_uris: [postLogoutRedirectUri] } : {}),
  }],
  jwks: { keys: [signingKey] },
  enabledJWA: { idTokenSigningAlgValues: [idTokenAlg] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    phone: ['phone_number', 'phone_number_verified'],
    address: ['address'],
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // RFC 9126 at /request, advertised in discovery: the checkout pushes its requests here.
    // Not required, so that a client that does not push still gets in.
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
  },
  fetch: loopbackFetch,
  async findAccount(ctx, sub) {
    if (sub !== ACCOUNT.id) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...ACCOUNT.claims }) };
  },
});

// A fetch for the back channel on this machine: *.localhost is loopback (RFC 6761).
function loopbackFetch(url, options) {
  const lookup = (host, opts, callback) => dns.lookup(host.endsWith('.localhost') ? '127.0.0.1' : host, opts, callback);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method,
      headers: Object.fromEntries(options.headers),
      lookup,
      signal: options.signal,
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const empty = res.statusCode === 204 || res.statusCode === 304;
        resolve(new Response(empty ? null : Buffer.concat(chunks), { status: res.statusCode }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body === undefined ? undefined : String(options.body));
  });
}

provider.on('backchannel.error', (ctx, err, client) => {
  console.error(`back-channel logout to ${client.clientId} failed: ${err.message}`);
});

serve(provider, ACCOUNT, port, issuer);
