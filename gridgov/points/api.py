from ninja import Router

tasks = Router(tags=["志愿服务与积分"])  # /tasks
points = Router(tags=["志愿服务与积分"])  # /points
rewards = Router(tags=["志愿服务与积分"])  # /rewards
