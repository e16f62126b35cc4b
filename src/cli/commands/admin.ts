import type { Command } from 'commander';
import { UsageError, type Cli } from '../support.js';

const accountCommands = [
  { name: 'create', description: 'create an administrator; prints a one-time password unless --password-stdin', run: 'createAdmin', headline: 'admin.created' },
  {
    name: 'reset-password',
    description: 'set a new password (one-time unless --password-stdin), unlock the account, end its sessions',
    run: 'resetPassword',
    headline: 'admin.reset',
  },
] as const;

/** `admin create|reset-password`: administrator accounts. */
export function registerAdmin(program: Command, cli: Cli): void {
  const { t } = cli;
  const admin = program.command('admin').description('administrator accounts');
  for (const cmd of accountCommands) {
    admin
      .command(cmd.name)
      .description(cmd.description)
      .requiredOption('--username <u>', 'username')
      .option('--password-stdin', 'read the password from standard input instead of generating one')
      .action(async (o: { username: string; passwordStdin?: boolean }) => {
        const preset = o.passwordStdin ? await readStdinPassword(cli) : undefined;
        const accounts = await import('../../services/user/adminAccounts.js');
        const issued = await cli.withPlatform((p) => accounts[cmd.run](p, o.username, preset), { writes: true });
        cli.showPassword(issued, t()[cmd.headline](issued.username));
      });
  }
}

async function readStdinPassword(cli: Cli): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!value) throw new UsageError(cli.t()['stdin.empty']);
  return value;
}
