-- Merge billing and search
-- pfm:revision 0005
-- pfm:parents 0003, 0004
-- pfm:message Merge billing and search

-- pfm:upgrade


-- pfm:downgrade

