pub mod photos_db;
