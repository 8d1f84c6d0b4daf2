// @azure/identity 4.13, unmodified, against the emulator by configuration only: authorityHost
// names it and disableInstanceDiscovery keeps discovery away from Microsoft. Each token is then
// used by the Graph JS client through its TokenCredentialAuthenticationProvider.
import { ClientSecretCredential, DeviceCodeCredential } from "@azure/identity";
import graph from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";

import { emulator, main, say } from "./lib.mjs";

const options = { authorityHost: emulator.api_url, disableInstanceDiscovery: true };

function graphWith(credential, scopes) {
  return graph.Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes }),
    baseUrl: emulator.api_url, customHosts: new Set([new URL(emulator.api_url).hostname]),
  });
}

async function deviceCode() {
  const credential = new DeviceCodeCredential({
    ...options, tenantId: "organizations", clientId: emulator.cli_client_id,
    userPromptCallback: (info) => say("device_code", { userCode: info.userCode,
                                                       verificationUri: info.verificationUri }),
  });
  const scopes = ["https://graph.microsoft.com/User.Read"];
  const token = await credential.getToken(scopes);
  const me = await graphWith(credential, scopes).api("/me").select("userPrincipalName").get();
  return { token: token.token, me: me.userPrincipalName };
}

async function clientSecret() {
  const credential = new ClientSecretCredential(emulator.tenant_id, emulator.client_id,
                                                emulator.client_secret, options);
  const scopes = ["https://graph.microsoft.com/.default"];
  const token = await credential.getToken(scopes);
  const alex = await graphWith(credential, scopes).api("/users/alex@contoso.example").get();
  return { token: token.token, alex: alex.displayName };
}

await main({ "device-code": deviceCode, "client-secret": clientSecret });
