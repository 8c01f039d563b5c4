// The partner's side of OAuth in the portal: register, view, edit, rotate the secret of and delete
// the account's OAuth apps (web apps and service clients).
import type { PortalDeps } from './context.ts';

export function mountApps(deps: PortalDeps): void {
  void deps;
}
