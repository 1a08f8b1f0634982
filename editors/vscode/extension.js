// The gdsl extension's client: starts `modelcheck lsp` (stdio) for .gdsl files.
// The command and its arguments are settings (gdsl.server.command, gdsl.server.args);
// when the command cannot be started, the message says how to install it.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

async function activate(context) {
  const config = vscode.workspace.getConfiguration("gdsl");
  const command = config.get("server.command", "modelcheck");
  const args = config.get("server.args", ["lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient("gdsl", "gdsl (modelcheck lsp)", { run: server, debug: server }, {
    documentSelector: [{ language: "gdsl" }],
  });
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `gdsl: could not start the language server \`${command} ${args.join(" ")}\` (${err.message || err}). ` +
      "Install it with: pip install 'gdsl-modelcheck[editor]', or set gdsl.server.command.");
  }
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
