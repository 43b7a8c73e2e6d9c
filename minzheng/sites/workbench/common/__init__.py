"""What every workbench area shares: the permission check, the mapping of service errors onto
forms and responses, paging, region choices, picking a household, and the number search.

An area imports these by their public names; areas never import each other's private helpers.
"""
