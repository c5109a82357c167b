"""The domain of postsched: what a post is, how it is stored, rendered, planned and published."""
