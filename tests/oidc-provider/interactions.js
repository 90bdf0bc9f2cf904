// What the test provider and the benchmark's provider share: the login form for the one
// account, consent given on the account's behalf, and the HTTP server around the provider.

import http from 'node:http';

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(res, uid, message) {
  res.statusCode = message ? 401 : 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html><title>Log in</title>
<h1>Log in to the test provider</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
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
async function interaction(provider, account, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === 'login') {
    if (req.method === 'POST' && req.url.endsWith('/login')) {
      const form = await readForm(req);
      if (form.get('email') !== account.email || form.get('password') !== account.password) {
        return loginPage(res, uid, 'Wrong email or password.');
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.id } }, {
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
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }
  res.statusCode = 400;
  res.end(`unexpected prompt ${prompt.name}`);
}

// Serves the provider on 127.0.0.1:port, with the interactions above; prints the issuer
// as a JSON line once listening (the callers wait for it) and stops on SIGTERM or SIGINT.
export function serve(provider, account, port, issuer) {
  const oidc = provider.callback();
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, account, req, res).catch((err) => {
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
}
