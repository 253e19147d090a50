/** Shown by steps that work on the working copy before Start made one. */
export function NeedsSession(): JSX.Element {
  return (
    <sp-body data-testid="needs-session">
      Press Start first: every step works on the working copy, never on the original.
    </sp-body>
  );
}
