// Runs nginx in the foreground as a child of this small node process, so that the benchmark can
// start it like its other servers (bench/lib/children.mjs: orphan guard preloaded). SIGTERM/SIGINT
// here is passed on to nginx (its fast shutdown); when nginx exits, this process exits with its
// code. If the benchmark dies without cleaning up, the orphan guard sends this process SIGTERM and
// nginx goes with it.
//
//   node --import bench/lib/orphan-guard.mjs bench/split/nginx-guard.mjs <nginx binary> <args…>
import { spawn } from 'node:child_process';

const [bin, ...args] = process.argv.slice(2);
if (!bin) {
  process.stderr.write('usage: nginx-guard.mjs <nginx binary> <args…>\n');
  process.exit(2);
}
const nginx = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
process.stdout.write(`nginx-guard: nginx pid ${nginx.pid}\n`);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    if (nginx.exitCode === null && nginx.signalCode === null) nginx.kill('SIGTERM');
    // exits for sure even if nginx ignores it
    setTimeout(() => {
      nginx.kill('SIGKILL');
      process.exit(1);
    }, 10_000).unref();
  });
}
nginx.once('error', (e) => {
  process.stderr.write(`nginx-guard: cannot start ${bin}: ${e.message}\n`);
  process.exit(1);
});
nginx.once('exit', (code, signal) => process.exit(code ?? (signal === 'SIGTERM' ? 0 : 1)));
