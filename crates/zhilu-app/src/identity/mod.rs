//! Identities: users (people with roles and clearances, 三员分立), passwords, logins and
//! sessions. The [`Actor`](crate::Actor) every other use case takes is made here.

pub mod login;
pub mod passwords;
pub mod shell;
pub mod users;

pub use login::{LoggedIn, login, logout, session_actor};
pub use shell::shell_reader;
pub use users::{
    NewUser, UserView, add_user, add_users, bootstrap_admins, change_password, cli_actor,
    list_users, reset_password, set_certificate, set_clearances, set_disabled, set_roles, user,
};
