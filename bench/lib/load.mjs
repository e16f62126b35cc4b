// HTTP load with autocannon, one run at a time; a signal handler stops the run in progress.
import autocannon from 'autocannon';

let active;

/** Runs autocannon (timeout 10 s unless `opts` says otherwise); `onResponse` sees every response. */
export function runCannon(opts, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ timeout: 10, ...opts }, (err, result) => {
      active = undefined;
      if (err) reject(err);
      else resolve(result);
    });
    active = instance;
    if (onResponse) instance.on('response', onResponse);
  });
}

/** Stops the run in progress, if any. */
export const stopLoad = () => active?.stop();
