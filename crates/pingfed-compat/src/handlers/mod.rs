pub mod grants;
