-- Add invoices
-- pfm:revision 0003
-- pfm:parents 0002
-- pfm:message Add invoices
-- pfm:branch-labels billing

-- pfm:upgrade
CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users, total numeric);

-- pfm:downgrade
DROP TABLE invoices;
