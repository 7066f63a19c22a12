//! The reader at the shell: who reads when a read-only command (`list`, `show`, `check`,
//! `verify`…) runs without naming a registered user.

use crate::actor::Actor;

/// The actor of a read-only command at the shell, named `shell:<os user>` in the operations log.
///
/// Why it may read everything without logging in: whoever runs `zhilu` on this machine as this
/// OS user can already open the catalog file and the vault with any SQLite client, so refusing
/// them a list would protect nothing. What the shell cannot do is *write* as someone else: every
/// write names a registered, enabled user ([`super::cli_actor`]), and approving or granting needs
/// a login (a replay directory aside). So this actor holds the fixed roles 法制 and 监督 (read
/// records, findings, devices, the register) and every clearance, is no person (it requests,
/// approves and is granted nothing) and holds no administrator role.
pub fn shell_reader(os_user: &str) -> Actor {
    Actor::shell(os_user)
}
