// @microsoft/microsoft-graph-client 3, unmodified, against the emulator by configuration only:
// baseUrl names the emulator and customHosts makes it a Graph host (so it gets the bearer token,
// and the upload URL on another host does not). The token is the test's (EMULATOR.token).
import graph from "@microsoft/microsoft-graph-client";

import { emulator, main } from "./lib.mjs";

const { BatchRequestContent, BatchResponseContent, Client, FileUpload, LargeFileUploadTask,
        PageIterator } = graph;

const client = Client.initWithMiddleware({
  authProvider: { getAccessToken: async () => emulator.token },
  baseUrl: emulator.api_url,
  customHosts: new Set([new URL(emulator.api_url).hostname]),
  defaultVersion: "v1.0",
});

async function mail() {
  // sendMail; the Inbox listed 3 at a time through PageIterator; $search with ConsistencyLevel.
  await client.api("/me/sendMail").post({
    message: { subject: "From the Graph JS client", body: { contentType: "text", content: "Hi" },
               toRecipients: [{ emailAddress: { address: emulator.to } }] },
    saveToSentItems: true,
  });
  const first = await client.api("/me/mailFolders/inbox/messages").top(3).select("subject")
    .orderby("receivedDateTime desc").get();
  const subjects = [];
  const iterator = new PageIterator(client, first, (message) => { subjects.push(message.subject); return true; });
  await iterator.iterate();
  const found = await client.api("/me/messages").header("ConsistencyLevel", "eventual")
    .search('"quarterly"').select("subject").get();
  return { firstPage: first.value.length, paged: Boolean(first["@odata.nextLink"]), subjects,
           searched: found.value.map((m) => m.subject).sort() };
}

function fileBytes(size) {
  // The same bytes the test computes: byte i is (i * 31) % 251.
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31) % 251;
  return data;
}

async function upload() {
  // A draft, an upload session on it, and LargeFileUploadTask in slices Outlook accepts (<= 4 MB).
  const draft = await client.api("/me/messages").post({ subject: "Large file from JS" });
  const data = fileBytes(emulator.size);
  const session = await LargeFileUploadTask.createUploadSession(
    client, `/me/messages/${draft.id}/attachments/createUploadSession`,
    { AttachmentItem: { attachmentType: "file", name: "big.bin", size: data.length } });
  const slices = [];
  const task = new LargeFileUploadTask(client, new FileUpload(data, "big.bin", data.length), session, {
    rangeSize: emulator.range_size,
    uploadEventHandlers: { progress: (range) => slices.push(range.maxValue - range.minValue + 1) },
  });
  const result = await task.upload();
  return { draftId: draft.id, location: result.location ?? null, slices };
}

async function batch() {
  // BatchRequestContent: parallel steps, then a serial one (dependsOn). Step URLs are absolute
  // without the version: 3.0.7 strips scheme and host only (msgraph-sdk-javascript#1451).
  const at = (path, init) => new Request(`${emulator.api_url}${path}`, init);
  const parallel = new BatchRequestContent([
    { id: "me", request: at("/me?$select=displayName") },
    { id: "inbox", request: at("/me/mailFolders/inbox/messages?$top=2&$select=subject") },
    { id: "picture", request: at(emulator.picture_path) },
    { id: "nobody", request: at("/users/nobody@contoso.example") },
  ]);
  const first = new BatchResponseContent(await client.api("/$batch").post(await parallel.getContent()));
  const serial = new BatchRequestContent([
    { id: "make", request: at("/me/messages", { method: "POST", body: JSON.stringify({ subject: "Batched draft" }),
                                               headers: { "Content-Type": "application/json" } }) },
    { id: "find", request: at("/me/mailFolders/drafts/messages?$filter=subject eq 'Batched draft'"),
      dependsOn: ["make"] },
  ]);
  const second = new BatchResponseContent(await client.api("/$batch").post(await serial.getContent()));
  const picture = first.getResponseById("picture");
  return {
    statuses: Object.fromEntries([...first.getResponses(), ...second.getResponses()]
      .map(([id, response]) => [id, response.status])),
    displayName: (await first.getResponseById("me").json()).displayName,
    inbox: (await first.getResponseById("inbox").json()).value.length,
    pictureType: picture.headers.get("Content-Type"),
    picture: await picture.text(),  // base64, as Graph sends binary bodies in a batch
    made: (await second.getResponseById("make").json()).id,
    found: (await second.getResponseById("find").json()).value.map((m) => m.id),
  };
}

await main({ mail, upload, batch });
