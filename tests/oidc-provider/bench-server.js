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
import http from 'node:http';

import Provider from 'oidc-provider';

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

function loginPage(res, uid, message) {
  res.statusCode = message ? 401 : 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Log in</title>
${message ? `<p role="alert">${message}</p>` : ''}
<form method="post" action="/interaction/${encodeURIComponent(uid)}/login">
<label>Email <input name="email" type="email"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Log in</button>
</form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

// The interaction endpoints: the login form, and consent given on the account's behalf.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === 'login') {
    if (req.method === 'POST' && req.url.endsWith('/login')) {
      const form = await readForm(req);
      if (form.get('email') !== ACCOUNT.email || form.get('password') !== ACCOUNT.password) {
        return loginPage(res, uid, 'Wrong email or password.');
      }
      return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.id } }, {
        mergeWithLastSubmission: false,
      });
    }
    return loginPage(res, uid);
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  res.statusCode = 400;
  res.end(`unexpected prompt ${prompt.name}`);
}

const oidc = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      console.error(err);
      res.statusCode = 500;
      res.end('interaction failed');
    });
    return;
  }
  oidc(req, res);
});

server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
