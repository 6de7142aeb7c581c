"""The admin views of Manage access, Share, People and the documents buttons."""
