// What `latchkey --help` prints: every command, its options, and where its settings come from.

export const USAGE = `usage: latchkey <command> [options] [--json]

  account create --name NAME --email EMAIL --password PASSWORD
                 (12 characters or more; not a common password, nor one made from the email or name)
  client create  --account ID --name NAME --type service|web|public --scopes "s1 s2"
                 [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--env test|live] [--homepage URL]
                 [--jwks-file FILE]
  client list    --account ID          (never a secret or its hash)
  client rotate-secret CLIENT_ID [--overlap 24h] [--leaked]
                 (0 to 7d; the old secret works that long, then dies; --leaked: every older one dies now)
  client delete CLIENT_ID             (its grants and refresh tokens die at once)
  resource-server create --resource URL --name NAME
                 (an API of the catalog, by its resource URL; its client introspects the tokens and API
                 keys sent to it; it lives in the operator account, acct_operator)
  resource-server list
  key create     --account ID --env test|live --scopes "s1 s2" [--name NAME] [--expires-at ISO-DATE]
  key list       --account ID
  key roll ID    [--overlap 24h]      (0 to 7d; the old key works that long, then dies)
  key revoke ID  [--reason TEXT]
  registration-token create --account ID [--env test|live]
                 (an initial access token for dynamic client registration, LATCHKEY_REGISTRATION=token:
                 it registers clients of the account for a day; shown once)
  agent list     (apps nobody registered in the portal: open registrations and client ID metadata
                 documents, with their trust and today's new authorizations; and the blocked hosts)
  agent verify CLIENT_ID | agent unverify CLIENT_ID
                 (a verified app may ask for every scope its type allows, not only the self-serve ones)
  agent block-host HOST | agent unblock-host HOST
                 (apps whose metadata document or redirect URIs are on HOST are refused at once)
  member invite  --account ID --email EMAIL --role owner|admin|developer|viewer
                 (mails a link valid 7 days, sent by the running server; the answer holds the invitation's id)
  member list    --account ID          (members with email and role, and pending invitations)
  member remove  --account ID --email EMAIL
                 (signs them out, revokes the grants they gave apps; what they created keeps working)
  signing-keys rotate [--activate-after 15m]
                 (new signing keys, published in the JWKS at once, signing only after the delay, 15 minutes
                 by default; the keys they replace stay published until their tokens have expired)
  cookie-keys rotate (a new cookie key signs; the two before it still verify the cookies they signed)
  signing-keys list  (each signing key with its state: next, active, retiring or retired, and its dates)
  pepper rotate  (a generated pepper: a new one becomes current, the old one still verifies; then, for a
                 generated or a given pepper, webhook signing secrets and two-factor secrets are sealed
                 again under the current one; says how many hashes each older pepper still has)
  pepper status  (the peppers in force, by id, and how many unrevoked API keys and working client
                 secrets still have hashes under each; each moves to the current pepper on its first use)
  backup --out FILE
                 (a consistent copy of the embedded store, taken while the server serves; FILE must be new
                 and is created 0600; MongoDB: use mongodump or snapshots, docs/mongodb.md)
  migrate        (applies pending schema migrations and builds missing indexes, with progress on stderr;
                 run it before a rolling upgrade: every other command builds nothing and, on MongoDB,
                 refuses a database whose schema is behind)

Environment: DATA_DIR or MONGODB_URI select the store, as for the server; a .env file in the working
directory is read first, as the server reads it (the environment wins). The store, catalog and
settings file in use are named on stderr.`;
