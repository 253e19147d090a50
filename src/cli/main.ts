import { Command, CommanderError, Option } from 'commander';
import { defaultIo, EXIT_USAGE, type Io } from './io';
import { installNativeByteSearch } from './native-bytes';
import { addBatchOptions, parseMargin, readPolicy, readTrustedList } from './options';
import { stripCommand } from './strip';
import { errorText } from './tasks/verify-file';
import { verifyCommand } from './verify';
import { TOOL_VERSION } from './version';

/**
 * Builds the `deid` program; `io` and the exit code are returned so tests run it in-process.
 *
 * One self-contained block per command (COORD contract 4): the command's own file exports
 * `<name>Command(args..., opts, io)` returning the exit code; its block declares the arguments
 * and options and sets `exitCode`. Add a command by adding a block; shared options come from
 * options.ts (build a fresh Option per command: commander keeps state on them).
 *
 * verify and strip, the batch commands, are loaded up front; every other command's module is
 * loaded when it runs, so a batch (one process per shard, often thousands) does not pay for
 * the review server, the detectors or the report writer at each start (~60 ms CPU measured).
 */
/** Options a command cannot run without (checked by the preAction hook in runCli). */
const REQUIRED = new WeakSet<Option>();

function required(flags: string, description: string): Option {
  const option = new Option(flags, description);
  REQUIRED.add(option);
  return option;
}

export async function runCli(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  installNativeByteSearch();
  let exitCode = 0;
  const program = new Command('deid')
    .description('Verify, strip and re-apply de-identification of photographs (deid-photo).')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  // Required options are checked after commander has refused unknown ones: with
  // requiredOption, a mistyped `--ou clean` was reported as "required option '--out <dir>' not
  // specified" to someone who had typed it, and the "Did you mean --out?" never came.
  program.hook('preAction', (_program, command) => {
    for (const option of command.options) {
      if (REQUIRED.has(option) && command.getOptionValue(option.attributeName()) === undefined) {
        command.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
      }
    }
  });

  addBatchOptions(
    program
      .command('verify')
      .description('scan images for metadata; with a sidecar beside an image, check its hash, checklist and obscured regions')
      .argument('[paths...]', 'image files or directories (searched recursively)')
      .option('--json', 'print one JSON object')
      .option('--require-sidecar', 'report images that have no <id>.deid.json beside them')
      .option('--policy <file>', 'a stricter strength policy (JSON)')
      .option('--pixels', 'also run the face and text detectors and report what no obscured region covers')
      .option('--trusted-reviewers <file>', 'key fingerprints (one a line) whose sign-off signatures are accepted')
      .option('--scan-data', 'also decode the coded image data: JPEG scan bytes no MCU uses (after the last MCU, before a restart marker; a scan that cannot be decoded is a finding), PNG zlib checksums, WebP bits libwebp decodes no pixel from: slower; bag create always does'),
  ).action(async (paths: string[], opts) => {
    exitCode = await verifyCommand(paths, opts, io);
  });

  addBatchOptions(
    program
      .command('strip')
      .description('write metadata-free copies, each losslessly in its own format (PNG re-encoding only as a salvage path)')
      .argument('[paths...]', 'image files or directories (searched recursively)')
      .addOption(required('--out <dir>', 'output directory (never read as input; a file already at an output\'s name is kept unless it is exactly what strip writes now, or --replace)'))
      .option('--resume', 'keep outputs already there that are newer than their input and exactly what strip writes for it')
      .option('--replace', 'replace an earlier output (a clean image) that differs from what strip writes now: another photo with the same name, or this photo before it changed; never an original or a de-identified export')
      .option('--scan-data', 'also decode the coded image data: cut JPEG scan bytes no MCU uses, write right PNG zlib checksums; a JPEG whose scans cannot be decoded, or a WebP with bits libwebp decodes no pixel from, is re-encoded from its pixels: slower')
      .option('--json', 'print one JSON object'),
  ).action(async (paths: string[], opts) => {
    exitCode = await stripCommand(paths, opts, io);
  });

  program
    .command('summarize')
    .description('merge the --jsonl outputs of shards into the summary and exit code of one run')
    .argument('<jsonl...>', 'files written by verify/strip --jsonl (one per shard)')
    .option('--json', 'print the merged summary as JSON')
    .action(async (files: string[], opts) => {
      exitCode = await (await import('./summarize')).summarizeCommand(files, opts, io);
    });

  program
    .command('apply')
    .description('replay recorded steps (a recipe or a whole sidecar) on an image and export it with a new sidecar')
    .argument('<recipe>', 'recipe JSON: {"steps": [...]} in the sidecar step format')
    .argument('<image>', 'the image to de-identify')
    .addOption(required('--out <dir>', 'output directory'))
    .addOption(new Option('--format <format>', 'export format').choices(['jpeg', 'png']).default('jpeg'))
    .option('--policy <file>', 'a stricter strength policy (JSON)')
    .option('--json', 'print the written paths as JSON')
    .action(async (recipe: string, image: string, opts) => {
      exitCode = await (await import('./apply-command')).applyCommand(recipe, image, opts, io);
    });

  const bag = program.command('bag').description('BagIt 1.0 transfer packages (RFC 8493) with the transfer record, and receipts');
  bag
    .command('create')
    .description('pack verified, signed-off exports and their sidecars into a new bag')
    .argument('<folder>', 'folder holding exports (<id>.<ext>) and their sidecars (<id>.deid.json)')
    .addOption(required('--out <bag>', 'the bag folder to create (must not exist)'))
    .addOption(required('--recipient <organization>', 'who the bag is for (bag-info Recipient-Organization)'))
    .addOption(required('--method <method>', 'how it is transferred, e.g. "encrypted USB drive" (bag-info Transfer-Method)'))
    .option('--contact <name>', 'who to contact about the bag (bag-info Contact-Name)')
    .option('--source-org <organization>', 'the sending organization (bag-info Source-Organization)')
    .option('--description <text>', 'bag-info External-Description')
    .option('--transfer-date <YYYY-MM-DD>', 'bag-info Transfer-Date, a day on the calendar (default: today)')
    .option('--allow-unsigned', 'pack exports whose checklist is not signed off (recorded in bag-info.txt)')
    .option('--allow-identical', 'pack exports that are the same image under different alternate ids (one photo counted twice; recorded in bag-info.txt)')
    .option('--log <file>', 'append one line recording this transfer to a log file (outside the bag, in a folder that exists; an existing file must be a deid log)')
    .option('--policy <file>', 'a stricter strength policy (JSON) for the re-verification')
    .option('--trusted-reviewers <file>', 'key fingerprints (one a line) whose sign-offs count; an export signed by any other key is refused')
    .option('--json', 'print the result as JSON')
    .action(async (folder: string, opts) => {
      exitCode = await (await import('./bag')).bagCreateCommand(folder, { ...opts, sourceOrganization: opts.sourceOrg, policy: await readPolicy(opts.policy), trustedReviewers: await readTrustedList(opts.trustedReviewers) }, io);
    });
  bag
    .command('verify')
    .description('validate a bag (RFC 8493) and re-verify every image against its sidecar; optionally write a receipt')
    .argument('<bag>', 'the bag folder')
    .option('--receipt <file>', 'write a receipt (JSON) to this new file, outside the bag (an existing file is never replaced)')
    .option('--receiver <name>', 'who received the bag (required with --receipt)')
    .option('--log <file>', 'append one line recording this check to a log file (outside the bag, in a folder that exists; an existing file must be a deid log)')
    .option('--policy <file>', 'a stricter strength policy (JSON) for the re-verification')
    .option('--trusted-reviewers <file>', 'key fingerprints (one a line) whose sign-offs count; an image signed by any other key makes the bag invalid')
    .option('--json', 'print the result as JSON')
    .action(async (bagDir: string, opts) => {
      exitCode = await (await import('./bag')).bagVerifyCommand(bagDir, { ...opts, policy: await readPolicy(opts.policy), trustedReviewers: await readTrustedList(opts.trustedReviewers) }, io);
    });

  program
    .command('detect')
    .description('find candidate faces and text in images (offline detectors); --recipe drafts the steps for deid apply')
    .argument('<paths...>', 'image files or directories (searched recursively)')
    .option('--json', 'print one JSON object')
    .option('--recipe <file>', 'write a draft recipe for the (one) image to this new file (never over an existing one), for a person to review before deid apply')
    .option('--margin <share>', 'pad each region by this share of its size (default 0.25 faces, 0.15 text)', parseMargin)
    .addOption(new Option('--face-method <method>', 'how the draft obscures faces (default: the policy\'s default, overlay)').choices(['overlay', 'pixelate']))
    .option('--thorough', 'also look for faces of 25-40 px in 12 MP photographs (scans faces at 2560 px, not 1440; a 12 MP photo takes about 2.5x as long)')
    .option('--policy <file>', 'a stricter strength policy (JSON)')
    .action(async (paths: string[], opts) => {
      exitCode = await (await import('./detect')).detectCommand(paths, { ...opts, policy: await readPolicy(opts.policy) }, io);
    });

  // New commands: one block above this line each (see the comment on runCli).

  program
    .command('review')
    .description('serve a local page to review a folder of exports: re-verify, checklist, signed sign-off')
    .argument('<folder>', 'a folder of exports (<id>.jpg|png + <id>.deid.json), searched recursively')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)')
    .option('--no-open', 'do not open the browser; only print the URL')
    .option('--key <file>', 'your signing key (default: reviewer-key.json in your config folder; created at the first sign-off)')
    .option('--idle-minutes <n>', 'stop after this long without use (default 30)')
    .option('--policy <file>', 'a stricter strength policy (JSON)')
    .action(async (folder: string, opts) => {
      exitCode = await (await import('./review')).reviewCommand(folder, opts, io);
    });

  program
    .command('report')
    .description('write an audit record of a folder of exports (HTML, optionally CSV), re-verified now')
    .argument('<folder>', 'a folder of exports, searched recursively')
    .addOption(required('--out <file>', 'the HTML report to write, outside the folder; an existing file is replaced only if it is an earlier deid report'))
    .option('--csv <file>', 'also write the table as CSV (a file of its own, outside the folder; replaces only an earlier deid CSV report)')
    .option('--thumbnails', 'include small thumbnails of the exports (patient pixels: off by default)')
    .option('--policy <file>', 'a stricter strength policy (JSON)')
    .option('--pixels', 'also run the face and text detectors on each export and record what no obscured region covers (advice; seconds per photo)')
    .action(async (folder: string, opts) => {
      exitCode = await (await import('./report')).reportCommand(folder, opts, io);
    });

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; everything else is a usage error.
      if (e.exitCode !== 0 && e.code.startsWith('deid.')) io.err(`deid: ${e.message}`);
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    io.err(`deid: ${errorText(e)}`);
    return EXIT_USAGE;
  }
  return exitCode;
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`deid: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = EXIT_USAGE;
    },
  );
}
