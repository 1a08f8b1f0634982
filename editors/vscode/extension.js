// The gdsl extension's client: starts `modelcheck lsp` (stdio) for .gdsl files, and
// the commands gdsl.check / gdsl.simulate, which run modelcheck on the open spec in a
// terminal (its trace and exit code as on the command line). The executable and the
// server's arguments are settings (gdsl.server.command, gdsl.server.args); when the
// server cannot be started, the message says how to install it.
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
  for (const [name, subcommand] of [["gdsl.check", "check"], ["gdsl.simulate", "simulate"]]) {
    context.subscriptions.push(vscode.commands.registerCommand(name, () => runOnSpec(command, subcommand)));
  }
}

// `modelcheck SUBCOMMAND FILE` in a terminal named after it, the file saved first.
async function runOnSpec(command, subcommand) {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "gdsl") {
    vscode.window.showErrorMessage("gdsl: open a .gdsl spec to check it.");
    return;
  }
  await editor.document.save();
  const quote = (s) => `'${s.replace(/'/g, "'\\''")}'`;
  const terminal = vscode.window.createTerminal(`modelcheck ${subcommand}`);
  terminal.show();
  terminal.sendText(`${quote(command)} ${subcommand} ${quote(editor.document.fileName)}`);
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
