pub mod oauth;
pub mod system;
pub mod vedauth;
