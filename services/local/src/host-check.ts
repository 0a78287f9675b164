/**
 * DNS rebinding guard for the local servers. A web page on another site can make the browser
 * resolve its own host name to 127.0.0.1 and then talk to a local server as "same origin"; the
 * Host header still carries the attacker's name. The local servers answer only requests whose
 * Host is a loopback name with their own port.
 */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function loopbackHostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const value = host.trim().toLowerCase();
  return LOOPBACK_NAMES.some((name) => value === `${name}:${port}`);
}

export function hostRefusal(host: string | undefined, port: number): string {
  return `Host ${JSON.stringify(host ?? '')} is not this local server: use 127.0.0.1:${port}, localhost:${port} or [::1]:${port}`;
}
