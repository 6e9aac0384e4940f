SELECT pfm_current();
