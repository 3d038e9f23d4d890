-- What webhook sources (X/Twitter, Facebook, forums…) tell about a
-- complaint beyond its text: the network's display name, a link to the
-- original post, its language, and the author's profile and reach.
ALTER TABLE tickets ADD COLUMN network              TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN post_url             TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN language             TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN customer_profile_url TEXT    NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN customer_followers   INTEGER NOT NULL DEFAULT 0;
