/**
 * Where a stranger reads an object: the parts of an HTTP request, not a URL string.
 *
 * S3 keys may hold `.` and `..` segments, `//`, and a leading or trailing `/`, and S3 stores them
 * literally. A URL parser (WHATWG `new URL()`, a browser, `path.posix.normalize`) resolves such
 * segments, so a request built from a URL string for `./rhel-9.qcow2` reaches `rhel-9.qcow2`, or
 * nothing. An address keeps the request target exactly as it must go on the wire.
 */

/** An object's anonymous address. `path` is sent as it is: never pass it through a URL parser. */
export interface PublicAddress {
  readonly protocol: 'http:' | 'https:';
  /** Host name or IP address, without brackets for IPv6. */
  readonly hostname: string;
  /** The port when it is not the scheme's default. */
  readonly port?: string;
  /** The Host header: the host name (bracketed for IPv6), with `:port` when there is a port. */
  readonly host: string;
  /**
   * The request target: `/`, then the bucket when the address is path-style, then the key with
   * every byte but `A-Z a-z 0-9 - _ . ~` and `/` percent-encoded (as the AWS SDK encodes it), so
   * that it decodes to exactly the key, dot segments and empty segments included.
   */
  readonly path: string;
  /** The PEM text of the CAs the store trusts (its `ca=`), when not Node's own: the probe trusts the same. Not part of the address's text. */
  readonly ca?: string;
}

/**
 * The address as text, for messages and reports. Text only: a request made from this string by a
 * URL parser may reach another object (see the module comment).
 */
export function formatAddress(a: PublicAddress): string {
  return `${a.protocol}//${a.host}${a.path}`;
}
