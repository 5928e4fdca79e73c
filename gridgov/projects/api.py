from ninja import Router

needs = Router(tags=["三张清单与项目"])  # /needs
resources = Router(tags=["三张清单与项目"])  # /resources
projects = Router(tags=["三张清单与项目"])  # /projects
