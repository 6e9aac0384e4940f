SELECT * FROM pfm_status();
