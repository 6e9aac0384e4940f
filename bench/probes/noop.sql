SELECT count(*) FROM pfm_upgrade('head');
