import type { Host, StepContext } from '../actions';

/**
 * The Host with every step's progress also sent to `listener` (0..1), so the panel can show a
 * bar while Photoshop holds the modal scope. The host object is left untouched: a Proxy
 * forwards everything else, keeping methods bound to the real host.
 */
export function observeProgress(host: Host, listener: (fraction: number) => void): Host {
  const runStep: Host['runStep'] = (name, fn, options) =>
    host.runStep(
      name,
      (ctx) => {
        const observed: StepContext = {
          reportProgress(fraction) {
            listener(fraction);
            ctx.reportProgress(fraction);
          },
          get isCancelled() {
            return ctx.isCancelled;
          },
        };
        return fn(observed);
      },
      options,
    );
  return new Proxy(host, {
    get(target, prop, receiver) {
      if (prop === 'runStep') return runStep;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
