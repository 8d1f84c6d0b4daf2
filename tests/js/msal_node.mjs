// @azure/msal-node, unmodified, against the emulator by configuration only: the emulator's
// authority named in knownAuthorities (so no instance discovery goes to Microsoft).
import { ConfidentialClientApplication, CryptoProvider, PublicClientApplication } from "@azure/msal-node";

import { ask, emulator, main, say } from "./lib.mjs";

const authority = `${emulator.api_url}/organizations`;
const known = [new URL(emulator.api_url).host];

async function authCode() {
  // Auth code with PKCE, then a silent refresh (the refresh token grant) of the cached account.
  const app = new ConfidentialClientApplication({
    auth: { clientId: emulator.client_id, clientSecret: emulator.client_secret, authority,
            knownAuthorities: known },
  });
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const scopes = ["User.Read", "Mail.Read"];
  const url = await app.getAuthCodeUrl({
    scopes, redirectUri: emulator.redirect_uri, codeChallenge: challenge,
    codeChallengeMethod: "S256", state: "js-state",
  });
  const back = await ask("sign_in", { url });
  if (back.state !== "js-state") throw new Error(`state came back as ${back.state}`);
  const first = await app.acquireTokenByCode({
    code: back.code, scopes, redirectUri: emulator.redirect_uri, codeVerifier: verifier,
  });
  const again = await app.acquireTokenSilent({ account: first.account, scopes, forceRefresh: true });
  return {
    username: first.account.username, scopes: first.scopes, idTokenName: first.idTokenClaims.name,
    refreshed: again.accessToken !== first.accessToken, silentUsername: again.account.username,
    accessToken: again.accessToken,
  };
}

async function deviceCode() {
  // The device code flow of a public client: the test signs in at /devicelogin while this polls.
  const app = new PublicClientApplication({
    auth: { clientId: emulator.cli_client_id, authority, knownAuthorities: known },
  });
  const result = await app.acquireTokenByDeviceCode({
    scopes: ["User.Read"],
    deviceCodeCallback: (r) => say("device_code", { userCode: r.userCode,
                                                   verificationUri: r.verificationUri }),
  });
  return { username: result.account.username, scopes: result.scopes,
           accessToken: result.accessToken };
}

await main({ "auth-code": authCode, "device-code": deviceCode });
